package io.logkv.query.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The Redis-protocol (RESP2) endpoint: {@code GET}, {@code MGET}, {@code SET}, {@code DEL}, {@code EXISTS} and
 * {@code PING} on the same key operations as the HTTP API (docs/api.md, "Redis protocol").
 *
 * @param enabled        whether the node listens for it (off by default)
 * @param port           its TCP port
 * @param address        the address it binds
 * @param namespace      the namespace a new connection works in (changed with {@code LOGKV.NAMESPACE})
 * @param maxConnections connections served at once; one more is answered an error and closed
 * @param maxPipelined   commands of one connection in progress at once; beyond, the node stops reading from
 *                       the connection until replies have gone out
 * @param ioThreads      threads that read and write the connections (0: twice the cores)
 * @param commandTimeout the longest a command may take before it is answered {@code -TIMEOUT} (its own waits,
 *                       such as a read's for its replica, are shorter)
 * @param sslBundle      the name of a Spring Boot SSL bundle ({@code spring.ssl.bundle.pem.<name>} or
 *                       {@code spring.ssl.bundle.jks.<name>}) with the endpoint's key and certificate: when set, the
 *                       endpoint takes only TLS connections (as {@code redis-cli --tls} and Redis clients' {@code rediss://}
 *                       make); empty: plain TCP
 * @param clientAuth     with TLS, whether clients must present a certificate the bundle's trust store trusts
 *                       ({@code need}), may ({@code want}), or are not asked ({@code none})
 * @param leakDetection  Netty's tracking of buffers that are never released, for the whole JVM: {@code disabled}
 *                       (the default: tracking touches every message on the read path), or Netty's own
 *                       {@code simple}, {@code advanced} or {@code paranoid} levels, which log {@code LEAK:} when a
 *                       tracked buffer is collected unreleased; a JVM started with Netty's own
 *                       {@code -Dio.netty.leakDetection.level} keeps that level instead
 */
public record RespProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("6380") int port,
        @DefaultValue("0.0.0.0") String address,
        @DefaultValue("default") String namespace,
        @DefaultValue("1024") int maxConnections,
        @DefaultValue("128") int maxPipelined,
        @DefaultValue("0") int ioThreads,
        @DefaultValue("30s") Duration commandTimeout,
        @DefaultValue("") String sslBundle,
        @DefaultValue("none") ClientAuth clientAuth,
        @DefaultValue("disabled") LeakDetection leakDetection) {

    /** Netty's levels of buffer-leak tracking ({@code io.netty.util.ResourceLeakDetector.Level}). */
    public enum LeakDetection {
        DISABLED, SIMPLE, ADVANCED, PARANOID
    }

    /** Whether a TLS client must present a certificate. */
    public enum ClientAuth {
        NONE, WANT, NEED
    }

    /** Whether the endpoint takes only TLS connections. */
    public boolean tls() {
        return sslBundle != null && !sslBundle.isBlank();
    }
}
