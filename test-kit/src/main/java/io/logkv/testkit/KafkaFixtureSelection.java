package io.logkv.testkit;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * The fixture a cluster starts on: the one {@value KafkaFixture#PROPERTY} asks for, unless that cannot run
 * here, in which case the in-process brokers and the reason ({@link #fallback()}), which the cluster logs.
 * Containers need a Docker engine; SASL clusters run in-process only (ADR 0019).
 *
 * @param requested what the property asked for
 * @param used      what the cluster runs on
 * @param fallback  why {@code used} differs from {@code requested}; empty when it does not
 */
public record KafkaFixtureSelection(KafkaFixture requested, KafkaFixture used, Optional<String> fallback) {

    /**
     * Decides. {@code dockerMissing} is asked only when containers are requested, and answers why no
     * Docker engine can be used here, or empty when one can.
     */
    public static KafkaFixtureSelection choose(String propertyValue, boolean sasl, Supplier<Optional<String>> dockerMissing) {
        KafkaFixture requested = KafkaFixture.parse(propertyValue);
        if (requested == KafkaFixture.IN_PROCESS) {
            return new KafkaFixtureSelection(requested, requested, Optional.empty());
        }
        if (sasl) {
            return inProcess(requested, KafkaFixture.PROPERTY + "=" + requested.value()
                    + " asks for brokers in containers, but SASL clusters run in-process only; running this one on in-process brokers");
        }
        Optional<String> missing = dockerMissing.get();
        if (missing.isPresent()) {
            return inProcess(requested, KafkaFixture.PROPERTY + "=" + requested.value()
                    + " asks for brokers in containers, but no Docker engine was found (" + missing.get()
                    + "); skipping the container fixture and running on in-process brokers");
        }
        return new KafkaFixtureSelection(requested, requested, Optional.empty());
    }

    private static KafkaFixtureSelection inProcess(KafkaFixture requested, String reason) {
        return new KafkaFixtureSelection(requested, KafkaFixture.IN_PROCESS, Optional.of(reason));
    }
}
