package io.logkv.benchmark.emptyhandler;

import java.util.concurrent.CompletableFuture;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
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

    /** Runs it on its own (for a load generator in another process): {@code --server.port=PORT}. */
    public static void main(String[] args) {
        answerWith(new byte[1024]);
        new SpringApplicationBuilder(EmptyHandlerApplication.class).run(concat(args,
                "--spring.application.name=empty-handler", "--management.endpoint.health.validate-group-membership=false",
                "--logging.level.root=WARN"));
    }

    private static String[] concat(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    @RestController
    static class EmptyHandler {

        /** The HTTP floor of the write path: reads the body and answers as a LogKV write does, doing nothing else. */
        @PutMapping("/empty/{key}")
        CompletableFuture<ResponseEntity<String>> put(@PathVariable String key, @RequestBody byte[] value) {
            return CompletableFuture.completedFuture(ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                    .header("ETag", "\"0192f3a1b2c30000a1b2c3d4\"").header("KV-Token", "AQEFbkK1DAE")
                    .body("{\"version\":\"0192f3a1b2c30000a1b2c3d4\",\"token\":\"AQEFbkK1DAE\"}"));
        }

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
