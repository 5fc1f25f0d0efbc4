package io.logkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaConnectionTest {

    private static final Map<String, String> SASL = Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
            "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"secret\";",
            "ssl.truststore.location", "/etc/kafka/truststore.jks");

    @Test
    void everyClientGetsTheBootstrapServersAndTheSettingsPassedThrough() {
        Properties props = new KafkaConnection("b1:9093,b2:9093", SASL).properties();
        assertThat(props).containsEntry("bootstrap.servers", "b1:9093,b2:9093").containsAllEntriesOf(SASL).hasSize(5);
        assertThat(new KafkaConnection("b1:9093", SASL).asMap()).containsEntry("bootstrap.servers", "b1:9093").hasSize(5);
        assertThat(KafkaConnection.of("b1:9092").properties()).containsOnlyKeys("bootstrap.servers");
    }

    @Test
    void eachClientGetsItsOwnCopy() {
        KafkaConnection kafka = new KafkaConnection("b1:9093", SASL);
        Properties first = kafka.properties();
        first.put("group.id", "writers");
        assertThat(kafka.properties()).doesNotContainKey("group.id");
    }

    @Test
    void settingsThatWouldChangeWhatAClientDoesAreRefused() {
        for (String name : new String[] {"bootstrap.servers", "group.id", "transactional.id", "isolation.level", "enable.idempotence",
                "acks", "key.serializer", "enable.auto.commit", "max.poll.interval.ms"}) {
            assertThatThrownBy(() -> new KafkaConnection("b1:9092", Map.of(name, "x")))
                    .as(name).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + name + "'");
        }
        assertThatThrownBy(() -> new KafkaConnection(" ", Map.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void itsTextNamesTheSettingsButNeverTheirValues() {
        assertThat(new KafkaConnection("b1:9093", SASL).toString()).contains("sasl.jaas.config").doesNotContain("secret");
    }
}
