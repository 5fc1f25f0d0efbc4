package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logkv.query.config.KafkaClientProperties;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The files of {@code bin/logkv local --secure}: a certificate for localhost and generated passwords, made at the
 * first start, kept from other users, and reused at every later one; and how a node gets its client settings.
 */
class SecureListenerTest {

    private static final Path KEYTOOL = Path.of(System.getProperty("java.home"), "bin", "keytool");

    @TempDir
    Path dir;

    @Test
    void theFirstStartMakesACertificateForLocalhostThatTheTruststoreTrusts() throws Exception {
        SecureListener listener = SecureListener.prepare(dir, KEYTOOL, line -> { });

        KeyStore keystore = load(listener.keystore(), listener.credentials().keystorePassword());
        assertThat(keystore.isKeyEntry(SelfSignedCertificate.ALIAS)).isTrue();
        X509Certificate certificate = (X509Certificate) keystore.getCertificate(SelfSignedCertificate.ALIAS);
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        List<String> alternativeNames = new ArrayList<>();
        certificate.getSubjectAlternativeNames().forEach(name -> alternativeNames.add(name.get(1).toString()));
        assertThat(alternativeNames).containsExactlyInAnyOrder("localhost", "127.0.0.1");

        KeyStore truststore = load(listener.truststore(), listener.credentials().truststorePassword());
        assertThat(truststore.isCertificateEntry(SelfSignedCertificate.ALIAS)).isTrue();
        assertThat(truststore.getCertificate(SelfSignedCertificate.ALIAS)).isEqualTo(certificate);
    }

    @Test
    void theSecretsAreReadableByTheirOwnerOnly() throws Exception {
        SecureListener listener = SecureListener.prepare(dir, KEYTOOL, line -> { });
        for (Path secret : List.of(listener.credentialsFile(), listener.clientPropertiesFile(), listener.keystore())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).as(secret.toString()).isEqualTo("rw-------");
        }
        assertThat(Files.readString(listener.clientPropertiesFile()))
                .contains("security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "username\\=\"logkv\"");
        assertThat(listener.toString()).doesNotContain(listener.credentials().nodePassword(), listener.credentials().truststorePassword());
    }

    @Test
    void laterStartsReuseTheCertificateAndThePasswords() throws Exception {
        SecureListener first = SecureListener.prepare(dir, KEYTOOL, line -> { });
        byte[] keystore = Files.readAllBytes(first.keystore());
        List<String> progress = new ArrayList<>();
        SecureListener second = SecureListener.prepare(dir, KEYTOOL, progress::add);
        assertThat(second.credentials()).isEqualTo(first.credentials());
        assertThat(Files.readAllBytes(second.keystore())).isEqualTo(keystore);
        assertThat(progress).as("no new certificate").isEmpty();
        assertThat(first.credentials()).isNotEqualTo(LocalKafkaCredentials.generate());
    }

    @Test
    void aFormattedClusterWhosePasswordsAreGoneIsNotGivenNewOnes() throws Exception {
        SecureListener.prepare(dir, KEYTOOL, line -> { });
        Files.writeString(dir.resolve(KafkaClusterIdentity.FILE_NAME), "cluster.id=x\n");
        Files.delete(dir.resolve(SecureListener.CREDENTIALS));
        assertThatThrownBy(() -> SecureListener.prepare(dir, KEYTOOL, line -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("delete " + dir);
    }

    @Test
    void theScramUsersAreCreatedAtFormatTimeWithTheGeneratedPasswords() {
        LocalKafkaCredentials credentials = new LocalKafkaCredentials("b-pw", "n-pw", "k-pw", "t-pw");
        assertThat(new SecureListener(dir, credentials).scramCredentials()).containsExactly(
                "SCRAM-SHA-512=[name=broker,password=b-pw]", "SCRAM-SHA-512=[name=logkv,password=n-pw]");
    }

    /**
     * The node's secrets travel in its environment, its other settings on its command line, and Spring Boot binds
     * both into the one map of {@code logkv.kafka.client}.
     */
    @Test
    void aNodeGetsItsSecretsThroughItsEnvironmentAndSpringBootBindsThemWithItsArguments() {
        LocalKafkaCredentials credentials = new LocalKafkaCredentials("b-pw", "n-pw", "k-pw", "t-pw");
        Map<String, String> settings = new SecureListener(dir, credentials).clientSettings();
        NodeKafkaAccess access = NodeKafkaAccess.of("localhost:1", settings);

        assertThat(access.springArguments()).noneMatch(argument -> argument.contains("n-pw") || argument.contains("t-pw"))
                .contains("--logkv.kafka.client[security.protocol]=SASL_SSL", "--logkv.kafka.client[sasl.mechanism]=SCRAM-SHA-512");
        assertThat(access.environment()).containsOnlyKeys("LOGKV_KAFKA_CLIENT_SASL_JAAS_CONFIG", "LOGKV_KAFKA_CLIENT_SSL_TRUSTSTORE_PASSWORD");
        assertThat(access.toString()).doesNotContain("n-pw", "t-pw");

        MutablePropertySources sources = new MutablePropertySources();
        sources.addLast(new SimpleCommandLinePropertySource(access.springArguments().toArray(String[]::new)));
        sources.addLast(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new HashMap<>(access.environment())));
        KafkaClientProperties bound = new Binder(ConfigurationPropertySources.from(sources))
                .bindOrCreate("logkv.kafka", KafkaClientProperties.class);
        assertThat(bound.client()).isEqualTo(settings);
    }

    private static KeyStore load(Path file, String password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }
}
