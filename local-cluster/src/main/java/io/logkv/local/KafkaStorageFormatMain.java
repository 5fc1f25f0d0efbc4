package io.logkv.local;

import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of the child JVM that formats a secure broker's storage: {@code kafka-storage format} with one
 * {@code --add-scram} per line of the {@value #ADD_SCRAM_VARIABLE} environment variable. The SCRAM passwords
 * come through the environment because a command line is visible to every user of the machine.
 */
public final class KafkaStorageFormatMain {

    static final String ADD_SCRAM_VARIABLE = "LOGKV_KAFKA_ADD_SCRAM";

    private KafkaStorageFormatMain() {
    }

    public static void main(String[] args) {
        List<String> arguments = new ArrayList<>(List.of(args));
        String credentials = System.getenv(ADD_SCRAM_VARIABLE);
        if (credentials != null) {
            for (String credential : credentials.split("\n")) {
                if (!credential.isBlank()) {
                    arguments.add("--add-scram");
                    arguments.add(credential.strip());
                }
            }
        }
        kafka.tools.StorageTool.main(arguments.toArray(String[]::new));
    }
}
