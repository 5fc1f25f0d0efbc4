package io.logkv.benchmark.emptyhandler;

import java.util.concurrent.CompletableFuture;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * The HTTP floor of the read path: the node's server stack (Spring Boot, Spring MVC, Tomcat, the node's
 * application.yml) answering a GET with a value of the benchmark's size and doing nothing else. Its own
 * package, so component scanning finds nothing of LogKV.
 */
@SpringBootApplication
public class EmptyHandlerApplication {

    /** Set before the application starts: the bytes every answer carries. */
    static volatile byte[] body = new byte[0];

    public static void answerWith(byte[] value) {
        body = value;
    }

    @RestController
    static class EmptyHandler {

        /** Synchronous: the least Spring MVC can do for a GET. */
        @GetMapping("/empty/{key}")
        ResponseEntity<byte[]> get(@PathVariable String key) {
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM).body(body);
        }

        /** As LogKV answers (a CompletableFuture, so an async dispatch), but already complete. */
        @GetMapping("/empty-async/{key}")
        CompletableFuture<ResponseEntity<byte[]>> getAsync(@PathVariable String key) {
            return CompletableFuture.completedFuture(ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM).body(body));
        }
    }
}
