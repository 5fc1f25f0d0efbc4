package io.logkv.local;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** The ports of a {@code bin/logkv local} run: chosen, and checked free, before anything starts. */
final class LocalPorts {

    private LocalPorts() {
    }

    /** The ports of the cluster already in the data directory win: its controllers cannot move. */
    static KafkaPorts kafkaPorts(Path kafkaDir, Integer kafkaPort) throws IOException {
        Optional<KafkaPorts> existing = LocalKafkaCluster.existingPorts(kafkaDir);
        if (kafkaPort == null) {
            return existing.orElseGet(() -> KafkaPorts.consecutive(LocalCommand.DEFAULT_KAFKA_PORT, LocalKafkaCluster.NODES));
        }
        KafkaPorts requested = KafkaPorts.consecutive(kafkaPort, LocalKafkaCluster.NODES);
        if (existing.isPresent() && !existing.get().controllerPorts().equals(requested.controllerPorts())) {
            throw new IllegalStateException("the Kafka cluster in " + kafkaDir + " was created with --kafka-port "
                    + existing.get().brokerPort(1) + "; run without --kafka-port, or use another --data-dir");
        }
        return requested;
    }

    /**
     * Why the brokers' ports or the {@code nodes} ports from {@code firstNodePort} cannot be used, or null.
     * Checked up front: a clash found by the third broker or by Tomcat would cost a slow start and stop.
     */
    static String busyPortMessage(KafkaPorts ports, int firstNodePort, int nodes) {
        int kafkaBusy = ports.firstPortInUse();
        if (kafkaBusy >= 0) {
            return "port " + kafkaBusy + " is in use; is another bin/logkv local running? Stop it, or choose other"
                    + " Kafka ports with --kafka-port and another --data-dir";
        }
        for (int i = 0; i < nodes; i++) {
            if (!KafkaPorts.isFree(firstNodePort + i)) {
                return "port " + (firstNodePort + i) + " is in use; choose another with --port";
            }
        }
        return null;
    }
}
