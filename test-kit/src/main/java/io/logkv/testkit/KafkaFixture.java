package io.logkv.testkit;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where a {@link KafkaTestCluster}'s brokers run, chosen for a whole test run by the system property
 * {@value #PROPERTY} ({@code -Dlogkv.test.kafka=testcontainers} on Maven's command line).
 */
public enum KafkaFixture {

    /** KRaft brokers inside the test JVM (Kafka's own test kit): the default, and what runs without Docker. */
    IN_PROCESS("in-process"),

    /** KRaft brokers in containers on a Testcontainers network, one container per broker. */
    TESTCONTAINERS("testcontainers");

    /** The system property that chooses the fixture. */
    public static final String PROPERTY = "logkv.test.kafka";

    private final String value;

    KafkaFixture(String value) {
        this.value = value;
    }

    /** The property's value that chooses this fixture. */
    public String value() {
        return value;
    }

    /**
     * The fixture a value of {@value #PROPERTY} names (case and surrounding blanks ignored); {@link #IN_PROCESS}
     * when the value is null or blank.
     *
     * @throws IllegalArgumentException for any other value, naming the accepted ones
     */
    public static KafkaFixture parse(String text) {
        if (text == null || text.isBlank()) {
            return IN_PROCESS;
        }
        String wanted = text.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(fixture -> fixture.value.equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(PROPERTY + "=" + text + " names no Kafka fixture; use one of "
                        + Arrays.stream(values()).map(KafkaFixture::value).collect(Collectors.joining(", "))));
    }
}
