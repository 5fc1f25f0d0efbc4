package io.logkv.client;

import io.logkv.core.NamespaceName;

/** The Kafka topics of a LogKV namespace that applications may use. */
public final class LogKvTopics {

    private LogKvTopics() {
    }

    /** The ingest topic of a namespace: where streaming applications produce their writes. */
    public static String ingest(String namespace) {
        return new NamespaceName(namespace).ingestTopic();
    }

    /** The dead-letter topic of a namespace: ingest records that could not be applied, with the reason in a header. */
    public static String deadLetters(String namespace) {
        return new NamespaceName(namespace).deadLetterTopic();
    }
}
