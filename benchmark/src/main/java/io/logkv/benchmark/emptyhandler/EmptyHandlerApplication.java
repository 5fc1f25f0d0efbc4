package io.logkv.benchmark.emptyhandler;

import io.logkv.core.ApiHeaders;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.concurrent.CompletableFuture;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
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
@SpringBootApplication(excludeName = {
        // The node's jar brings Spring Security; the floor is the web stack alone, open like `bin/logkv local`.
        "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
        "org.springframework.boot.security.oauth2.server.resource.autoconfigure.OAuth2ResourceServerAutoConfiguration",
        "org.springframework.boot.security.oauth2.server.resource.autoconfigure.web.OAuth2ResourceServerWebSecurityAutoConfiguration"})
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

    /**
     * The same answers from a plain servlet in the same Tomcat, without Spring MVC: the floor of the server
     * itself. PUT answers asynchronously (the servlet's async context, completed from another thread, as a
     * write waiting for Kafka would be); GET answers on the request's thread.
     */
    @Bean
    ServletRegistrationBean<HttpServlet> plainServlet() {
        ServletRegistrationBean<HttpServlet> registration = new ServletRegistrationBean<>(new PlainServlet(), "/plain/*");
        registration.setAsyncSupported(true);
        return registration;
    }

    static final class PlainServlet extends HttpServlet {

        private static final byte[] WRITTEN = "{\"version\":\"0192f3a1b2c30000a1b2c3d4\",\"token\":\"AQEFbkK1DAE\"}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        private final java.util.concurrent.Executor answers = java.util.concurrent.Executors.newFixedThreadPool(2);

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws java.io.IOException {
            byte[] value = body;
            response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
            response.setContentLength(value.length);
            response.getOutputStream().write(value);
        }

        @Override
        protected void doPut(HttpServletRequest request, HttpServletResponse response) throws java.io.IOException {
            request.getInputStream().readAllBytes();
            AsyncContext async = request.startAsync();
            answers.execute(() -> {
                try {
                    HttpServletResponse answer = (HttpServletResponse) async.getResponse();
                    answer.setContentType(MediaType.APPLICATION_JSON_VALUE);
                    answer.setHeader("ETag", "\"0192f3a1b2c30000a1b2c3d4\"");
                    answer.setHeader(ApiHeaders.TOKEN, "AQEFbkK1DAE");
                    answer.setContentLength(WRITTEN.length);
                    answer.getOutputStream().write(WRITTEN);
                } catch (java.io.IOException e) {
                    // the client went away
                } finally {
                    async.complete();
                }
            });
        }
    }

    @RestController
    static class EmptyHandler {

        /** The HTTP floor of the write path: reads the body and answers as a LogKV write does, doing nothing else. */
        @PutMapping("/empty/{key}")
        CompletableFuture<ResponseEntity<String>> put(@PathVariable String key, @RequestBody byte[] value) {
            return CompletableFuture.completedFuture(ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                    .header("ETag", "\"0192f3a1b2c30000a1b2c3d4\"").header(ApiHeaders.TOKEN, "AQEFbkK1DAE")
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
