package io.logkv.query.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code logkv.snapshots.*} properties: snapshots of replicas.
 *
 * @param store     where snapshots of replicas are kept: {@code none}, {@code directory} or {@code s3}
 * @param directory the snapshot directory ({@code store=directory}): a volume every node mounts, so that a
 *                  replica can be seeded from a snapshot another node took
 * @param interval  time between two rounds of snapshots of the partitions a node owns (0: only on request)
 * @param retain    snapshots kept per partition
 * @param reseedBehindRecords a replica whose store could resume is seeded instead from a snapshot at least this
 *                  many records ahead of it (0: stores always resume and replay their tail)
 * @param s3        the object store ({@code store=s3})
 */
public record SnapshotProperties(
        @DefaultValue("none") SnapshotStoreKind store,
        @DefaultValue("./data/snapshots") Path directory,
        @DefaultValue("1h") Duration interval,
        @DefaultValue("2") int retain,
        @DefaultValue("1000000") long reseedBehindRecords,
        @DefaultValue S3 s3) {

    /** The kinds of snapshot store. */
    public enum SnapshotStoreKind { NONE, DIRECTORY, S3 }

    /**
     * @param endpoint        the S3 API's URL (empty: AWS's endpoint for the region)
     * @param region          the region
     * @param bucket          the bucket (it must exist)
     * @param prefix          the key prefix of every snapshot object
     * @param accessKey       the access key (empty: the AWS default credentials chain)
     * @param secretKey       the secret key
     * @param pathStyleAccess address the bucket in the path rather than the host name (most S3-compatible servers)
     */
    public record S3(
            @DefaultValue("") String endpoint,
            @DefaultValue("us-east-1") String region,
            @DefaultValue("logkv-snapshots") String bucket,
            @DefaultValue("snapshots") String prefix,
            @DefaultValue("") String accessKey,
            @DefaultValue("") String secretKey,
            @DefaultValue("true") boolean pathStyleAccess) {
    }
}
