package io.logkv.local;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Properties;

/**
 * The generated passwords of a secure local cluster ({@code bin/logkv local --secure}), kept in an
 * {@link OwnerOnlyFile owner-only} properties file beside its storage: the brokers' own SCRAM user (for their
 * connections to each other), the nodes' SCRAM user, and the passwords of the keystore and the truststore.
 * Created once, at the first start, because the SCRAM users are written into the cluster's metadata when its
 * storage is formatted: a later start must use the same passwords.
 *
 * @param brokerPassword     password of {@link #BROKER_USER}
 * @param nodePassword       password of {@link #NODE_USER}
 * @param keystorePassword   password of the brokers' keystore and of the key in it
 * @param truststorePassword password of the truststore that clients use
 */
record LocalKafkaCredentials(String brokerPassword, String nodePassword, String keystorePassword, String truststorePassword) {

    /** The brokers' SCRAM user, which they use between themselves. */
    static final String BROKER_USER = "broker";
    /** The SCRAM user of the LogKV nodes (and of the launcher's own admin client). */
    static final String NODE_USER = "logkv";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** 24 random bytes, base64url: letters, digits, {@code -} and {@code _}, safe in a JAAS line and in {@code --add-scram}. */
    static LocalKafkaCredentials generate() {
        return new LocalKafkaCredentials(randomPassword(), randomPassword(), randomPassword(), randomPassword());
    }

    /** The credentials in {@code file}, or new ones, written there owner-only, when it does not exist yet. */
    static LocalKafkaCredentials loadOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            return load(file);
        }
        LocalKafkaCredentials created = generate();
        created.save(file);
        return created;
    }

    static LocalKafkaCredentials load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        }
        return new LocalKafkaCredentials(required(properties, BROKER_USER + ".password", file),
                required(properties, NODE_USER + ".password", file),
                required(properties, "keystore.password", file),
                required(properties, "truststore.password", file));
    }

    void save(Path file) throws IOException {
        Properties properties = new Properties();
        properties.setProperty(BROKER_USER + ".password", brokerPassword);
        properties.setProperty(NODE_USER + ".password", nodePassword);
        properties.setProperty("keystore.password", keystorePassword);
        properties.setProperty("truststore.password", truststorePassword);
        StringWriter text = new StringWriter();
        properties.store(text, "bin/logkv local --secure: generated at the first start. The SCRAM users " + BROKER_USER + " and "
                + NODE_USER + " were created with these passwords when the Kafka storage was formatted; keep this file");
        OwnerOnlyFile.write(file, text.toString());
    }

    private static String randomPassword() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String required(Properties properties, String key, Path file) {
        String value = properties.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(file + " lacks " + key);
        }
        return value.trim();
    }

    /** Never the passwords: a record would print them. */
    @Override
    public String toString() {
        return "LocalKafkaCredentials[users=" + BROKER_USER + "," + NODE_USER + "]";
    }
}
