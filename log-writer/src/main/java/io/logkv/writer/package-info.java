/**
 * The write path. {@link io.logkv.writer.LogWriter} turns puts and deletes into records of a namespace's
 * truth topic and acknowledges them only once Kafka has committed them ({@code acks=all}, in a
 * transaction); {@link io.logkv.writer.TruthTopics} creates and checks the topics that hold the truth.
 */
package io.logkv.writer;
