package io.logkv.compactor.snapshot;

import io.logkv.core.NamespaceName;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Snapshots in an S3-compatible object store (AWS S3, MinIO, Ceph, S3Proxy):
 * {@code <prefix>/<namespace>/<partition>/<snapshot id>/<file>}, the manifest uploaded after every file,
 * so a listing (which looks for manifests) never finds half a snapshot.
 */
public final class S3SnapshotStore implements SnapshotStore, AutoCloseable {

    private final S3Client s3;
    private final String bucket;
    private final String prefix;

    public S3SnapshotStore(S3Client s3, String bucket, String prefix) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    /**
     * A store reached with the SDK's URL-connection HTTP client.
     *
     * @param endpoint  the S3 API's URL, or empty for AWS's endpoint of the region
     * @param accessKey the access key, or empty for the SDK's default credentials chain
     */
    public static S3SnapshotStore connect(String endpoint, String region, String bucket, String prefix, String accessKey,
                                          String secretKey, boolean pathStyleAccess) {
        AwsCredentialsProvider credentials = accessKey.isBlank() ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .forcePathStyle(pathStyleAccess)
                // Checksums only where the API requires them: not every S3-compatible server takes the newer ones.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (!endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return new S3SnapshotStore(builder.build(), bucket, prefix);
    }

    @Override
    public void save(SnapshotManifest manifest, Path directory) {
        String base = snapshotKey(manifest);
        try {
            for (String file : manifest.files().keySet()) {
                s3.putObject(put -> put.bucket(bucket).key(base + file), RequestBody.fromFile(directory.resolve(file)));
            }
            s3.putObject(put -> put.bucket(bucket).key(base + SnapshotManifest.FILE_NAME).contentType("text/plain"),
                    RequestBody.fromString(manifest.encode(), StandardCharsets.UTF_8));
        } catch (S3Exception e) {
            throw new IllegalStateException("could not store snapshot " + manifest.id() + " in " + location() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<SnapshotManifest> list(NamespaceName namespace, int partition) {
        String partitionPrefix = partitionPrefix(namespace, partition);
        List<SnapshotManifest> found = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(list -> list.bucket(bucket).prefix(partitionPrefix)).contents()) {
            if (!object.key().endsWith("/" + SnapshotManifest.FILE_NAME)) {
                continue;
            }
            try {
                String text = s3.getObjectAsBytes(get -> get.bucket(bucket).key(object.key())).asUtf8String();
                found.add(SnapshotManifest.decode(text));
            } catch (S3Exception | IllegalArgumentException e) {
                // Deleted meanwhile, or not a manifest: not listed.
            }
        }
        found.sort(Comparator.comparingLong(SnapshotManifest::position).thenComparingLong(SnapshotManifest::createdAtMs).reversed());
        return found;
    }

    @Override
    public void load(SnapshotManifest manifest, Path target) {
        String base = snapshotKey(manifest);
        try {
            Files.createDirectories(target);
            for (String file : manifest.files().keySet()) {
                Path local = target.resolve(file);
                Files.deleteIfExists(local);
                s3.getObject(get -> get.bucket(bucket).key(base + file), ResponseTransformer.toFile(local));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("could not load snapshot " + manifest.id() + " into " + target, e);
        } catch (S3Exception e) {
            throw new IllegalStateException("could not load snapshot " + manifest.id() + " from " + location() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(SnapshotManifest manifest) {
        String base = snapshotKey(manifest);
        s3.deleteObject(delete -> delete.bucket(bucket).key(base + SnapshotManifest.FILE_NAME));
        for (String file : manifest.files().keySet()) {
            s3.deleteObject(delete -> delete.bucket(bucket).key(base + file));
        }
    }

    /** Objects of a snapshot id with no manifest among them, the newest of them stored before {@code before}. */
    @Override
    public int deleteAbandoned(NamespaceName namespace, int partition, Instant before) {
        String partitionPrefix = partitionPrefix(namespace, partition);
        Map<String, List<S3Object>> byId = new LinkedHashMap<>();
        for (S3Object object : s3.listObjectsV2Paginator(list -> list.bucket(bucket).prefix(partitionPrefix)).contents()) {
            String rest = object.key().substring(partitionPrefix.length());
            int slash = rest.indexOf('/');
            if (slash > 0) {
                byId.computeIfAbsent(rest.substring(0, slash), id -> new ArrayList<>()).add(object);
            }
        }
        int deleted = 0;
        for (List<S3Object> objects : byId.values()) {
            boolean complete = objects.stream().anyMatch(object -> object.key().endsWith("/" + SnapshotManifest.FILE_NAME));
            boolean settled = objects.stream().allMatch(object -> object.lastModified().isBefore(before));
            if (!complete && settled) {
                for (S3Object object : objects) {
                    s3.deleteObject(delete -> delete.bucket(bucket).key(object.key()));
                }
                deleted++;
            }
        }
        return deleted;
    }

    @Override
    public String location() {
        return "s3://" + bucket + "/" + prefix;
    }

    @Override
    public void close() {
        s3.close();
    }

    private String snapshotKey(SnapshotManifest manifest) {
        return partitionPrefix(manifest.namespace(), manifest.partition()) + manifest.id() + "/";
    }

    private String partitionPrefix(NamespaceName namespace, int partition) {
        return prefix + "/" + namespace.value() + "/" + partition + "/";
    }
}
