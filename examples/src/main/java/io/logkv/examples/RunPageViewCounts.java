package io.logkv.examples;

import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Runs {@link PageViewCounts} against a Kafka cluster with LogKV nodes, by default the one {@code bin/logkv local}
 * starts. Options ({@code --name value}): {@code --bootstrap-servers} (localhost:19092), {@code --namespace}
 * (default), {@code --input} (page-views, created if missing), {@code --ttl-hours} (24), {@code --generate}
 * (1000 sample page views to produce first; 0 for none). Runs until Ctrl-C.
 */
public final class RunPageViewCounts {

    /** The Streams application id: its consumer group and the prefix of its internal topics. */
    public static final String APPLICATION_ID = "logkv-example-page-view-counts";

    private RunPageViewCounts() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        String bootstrap = options.getOrDefault("bootstrap-servers", "localhost:19092");
        String namespace = options.getOrDefault("namespace", "default");
        String input = options.getOrDefault("input", "page-views");
        Duration ttl = Duration.ofHours(Long.parseLong(options.getOrDefault("ttl-hours", "24")));
        int generate = Integer.parseInt(options.getOrDefault("generate", "1000"));

        createTopicIfMissing(bootstrap, input);
        if (generate > 0) {
            produceSampleViews(bootstrap, input, generate);
        }
        KafkaStreams streams = new KafkaStreams(PageViewCounts.topology(input, namespace, ttl),
                streamsConfig(APPLICATION_ID, bootstrap, Files.createTempDirectory("page-view-counts").toString()));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            stopped.countDown();
        }, "page-view-counts-shutdown"));
        streams.start();
        System.out.printf("Counting page views of %s into namespace %s. Read one user's count with:%n"
                + "  curl http://localhost:8080/v1/namespaces/%s/keys/user-1%nCtrl-C stops.%n", input, namespace, namespace);
        stopped.await();
    }

    /** The settings the example runs with: exactly once, and LogKV's durability (three replicas). */
    public static Properties streamsConfig(String applicationId, String bootstrap, String stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 3);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        return props;
    }

    private static void createTopicIfMissing(String bootstrap, String topic) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 3))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create " + topic, e.getCause());
            }
        }
    }

    private static void produceSampleViews(String bootstrap, String topic, int count) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        List<String> pages = List.of("/", "/pricing", "/docs", "/blog", "/signup");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "user-" + (1 + random.nextInt(10)), pages.get(random.nextInt(pages.size()))));
            }
        }
        System.out.printf("Produced %d sample page views to %s.%n", count, topic);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }
}
