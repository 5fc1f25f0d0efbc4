package io.logkv.mirror;

import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.OwnerSettings;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Fences a namespace's writers in the old home (step 2 of a promotion): takes every transactional id of every
 * truth partition there, which aborts an owner's open transaction and fails its later commits. An owner that
 * takes the id again afterwards reads the registry first ({@code NamespaceHomes}) and does not write.
 */
final class WritersFence {

    private final MirrorSettings settings;
    private final NamespaceName namespace;
    private final String writersGroup;

    /** @param writersGroup the writers' group id of the old home's nodes, part of each transactional id */
    WritersFence(MirrorSettings settings, NamespaceName namespace, String writersGroup) {
        this.settings = settings;
        this.namespace = namespace;
        this.writersGroup = writersGroup;
    }

    /** Takes every transactional id of each of the namespace's {@code partitions} truth partitions in the old home. */
    void fence(int partitions) {
        for (int p = 0; p < partitions; p++) {
            for (String transactionalId : OwnerSettings.transactionalIds(writersGroup, namespace.truthPartition(p))) {
                Properties props = settings.sourceKafka().properties();
                props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
                props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
                props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-promotion-fence");
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                    producer.initTransactions();
                } catch (org.apache.kafka.common.KafkaException e) {
                    throw new KafkaUnavailableException("could not fence the writers of " + namespace + "-" + p + " in region "
                            + settings.sourceRegion(), e);
                }
            }
        }
    }
}
