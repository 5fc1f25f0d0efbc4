package io.logkv.compactor.snapshot;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.awaitility.Awaitility;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/** A real S3 API server (S3Proxy) on a file-system backend, with one bucket, for the tests of the S3 store. */
final class S3TestServer implements AutoCloseable {

    static final String BUCKET = "snapshots-bucket";
    static final String ACCESS_KEY = "logkv-access";
    static final String SECRET_KEY = "logkv-secret";

    private final BlobStoreContext context;
    private final S3Proxy proxy;

    private S3TestServer(BlobStoreContext context, S3Proxy proxy) {
        this.context = context;
        this.proxy = proxy;
    }

    /** Starts a server keeping its objects under {@code dataDir}. */
    static S3TestServer start(Path dataDir) throws Exception {
        Properties backend = new Properties();
        backend.setProperty("jclouds.filesystem.basedir", dataDir.toString());
        Files.createDirectories(dataDir);
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem").overrides(backend)
                .credentials("identity", "credential").build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        S3TestServer server = new S3TestServer(context, proxy);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> AbstractLifeCycle.STARTED.equals(proxy.getState()));
            context.getBlobStore().createContainerInLocation(null, BUCKET);
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** A store on the server's bucket, under {@code prefix}. */
    S3SnapshotStore store(String prefix) {
        return S3SnapshotStore.connect(endpoint(), "us-east-1", BUCKET, prefix, ACCESS_KEY, SECRET_KEY, true);
    }

    /** The objects themselves, past the S3 API: to leave what a stopped node would have left. */
    org.jclouds.blobstore.BlobStore blobs() {
        return context.getBlobStore();
    }

    String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    @Override
    public void close() throws Exception {
        try {
            proxy.stop();
        } finally {
            context.close();
        }
    }
}
