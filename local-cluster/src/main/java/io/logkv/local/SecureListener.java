package io.logkv.local;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * The client listener of a secure local cluster ({@code bin/logkv local --secure}), named {@value #NAME}: SASL
 * over TLS with SCRAM-SHA-512, for clients and for the brokers among themselves, as a production cluster would
 * take them. Its files live in the cluster's directory: the keystore and truststore of a
 * {@link SelfSignedCertificate self-signed certificate for localhost}, the {@link LocalKafkaCredentials generated
 * passwords}, and {@value #CLIENT_PROPERTIES}, the client settings of the nodes' user for any Kafka tool. The
 * controllers keep a plaintext listener: it binds to localhost only, and clients never use it.
 *
 * @param directory   the cluster's directory, where the files are
 * @param credentials the generated passwords
 */
record SecureListener(Path directory, LocalKafkaCredentials credentials) {

    static final String NAME = "SECURE";
    static final String SECURITY_PROTOCOL = "SASL_SSL";
    static final String MECHANISM = "SCRAM-SHA-512";
    static final String KEYSTORE = "keystore.p12";
    static final String TRUSTSTORE = "truststore.p12";
    static final String CREDENTIALS = "credentials.properties";
    static final String CLIENT_PROPERTIES = "client.properties";
    private static final String STORE_TYPE = "PKCS12";

    /**
     * The listener of the cluster in {@code kafkaDir}: its passwords and certificate as a previous start left
     * them, or new ones at the first start. The client properties file is written again every time.
     *
     * @param keytool the JDK's keytool, for a new certificate
     */
    static SecureListener prepare(Path kafkaDir, Path keytool, Consumer<String> progress) throws IOException, InterruptedException {
        Path directory = kafkaDir.toAbsolutePath();
        Path credentialsFile = directory.resolve(CREDENTIALS);
        if (!Files.exists(credentialsFile) && Files.exists(directory.resolve(KafkaClusterIdentity.FILE_NAME))) {
            throw new IllegalStateException(directory + " holds a secure Kafka cluster whose users were created with the passwords"
                    + " of " + credentialsFile + ", which is gone; delete " + directory + " to start a new cluster");
        }
        Files.createDirectories(directory);
        SecureListener listener = new SecureListener(directory, LocalKafkaCredentials.loadOrCreate(credentialsFile));
        if (!Files.exists(listener.keystore()) || !Files.exists(listener.truststore())) {
            progress.accept("creating a self-signed TLS certificate for localhost in " + directory + " (first start only) ...");
            SelfSignedCertificate.create(keytool, listener.keystore(), listener.credentials.keystorePassword(),
                    listener.truststore(), listener.credentials.truststorePassword());
        }
        OwnerOnlyFile.write(listener.clientPropertiesFile(), render(listener.clientSettings(),
                "bin/logkv local --secure: Kafka client settings of user " + LocalKafkaCredentials.NODE_USER + " for the " + NAME
                        + " listener, e.g. kafka-console-producer.sh --producer.config " + listener.clientPropertiesFile()));
        return listener;
    }

    Path keystore() {
        return directory.resolve(KEYSTORE);
    }

    /** The truststore (PKCS12) holding the brokers' certificate, for any client of the cluster. */
    Path truststore() {
        return directory.resolve(TRUSTSTORE);
    }

    /** The owner-only file with the generated passwords. */
    Path credentialsFile() {
        return directory.resolve(CREDENTIALS);
    }

    /** The owner-only file with {@link #clientSettings()}, ready for {@code --command-config} or {@code --producer.config}. */
    Path clientPropertiesFile() {
        return directory.resolve(CLIENT_PROPERTIES);
    }

    /** The {@code kafka-storage format --add-scram} values that create both users when the storage is formatted. */
    List<String> scramCredentials() {
        return List.of(scram(LocalKafkaCredentials.BROKER_USER, credentials.brokerPassword()),
                scram(LocalKafkaCredentials.NODE_USER, credentials.nodePassword()));
    }

    /**
     * The brokers' settings for this listener (besides its place in {@code listeners} and the protocol map): SCRAM
     * between the brokers as user {@value LocalKafkaCredentials#BROKER_USER}, their certificate, and the truststore
     * that lets one broker verify another.
     */
    Map<String, String> brokerProperties() {
        String prefix = "listener.name." + NAME.toLowerCase(Locale.ROOT) + ".";
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        properties.put(prefix + "sasl.enabled.mechanisms", MECHANISM);
        properties.put(prefix + MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
                jaasConfig(LocalKafkaCredentials.BROKER_USER, credentials.brokerPassword()));
        properties.put("ssl.keystore.type", STORE_TYPE);
        properties.put("ssl.keystore.location", keystore().toString());
        properties.put("ssl.keystore.password", credentials.keystorePassword());
        properties.put("ssl.key.password", credentials.keystorePassword());
        properties.put("ssl.truststore.type", STORE_TYPE);
        properties.put("ssl.truststore.location", truststore().toString());
        properties.put("ssl.truststore.password", credentials.truststorePassword());
        return properties;
    }

    /** The Kafka client settings of the nodes' user {@value LocalKafkaCredentials#NODE_USER}, by their Kafka names. */
    Map<String, String> clientSettings() {
        return clientSettings(LocalKafkaCredentials.NODE_USER, credentials.nodePassword());
    }

    /** The Kafka client settings of any SCRAM user (tests use a wrong password). */
    Map<String, String> clientSettings(String user, String password) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("security.protocol", SECURITY_PROTOCOL);
        settings.put("sasl.mechanism", MECHANISM);
        settings.put("sasl.jaas.config", jaasConfig(user, password));
        settings.put("ssl.truststore.type", STORE_TYPE);
        settings.put("ssl.truststore.location", truststore().toString());
        settings.put("ssl.truststore.password", credentials.truststorePassword());
        return settings;
    }

    static String jaasConfig(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password + "\";";
    }

    private static String scram(String user, String password) {
        return MECHANISM + "=[name=" + user + ",password=" + password + "]";
    }

    private static String render(Map<String, String> settings, String comment) throws IOException {
        Properties properties = new Properties();
        properties.putAll(settings);
        StringWriter text = new StringWriter();
        properties.store(text, comment);
        return text.toString();
    }
}
