package io.logkv.benchmark;

import io.logkv.benchmark.emptyhandler.EmptyHandlerApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** {@link EmptyHandlerApplication} running in this JVM on a free port. */
final class EmptyHandlerServer implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final String baseUrl;

    EmptyHandlerServer(byte[] value) {
        EmptyHandlerApplication.answerWith(value);
        context = new SpringApplicationBuilder(EmptyHandlerApplication.class).run("--server.port=0",
                "--spring.application.name=empty-handler",
                // The node's application.yml is on the classpath too; its readiness group names LogKV's contributor.
                "--management.endpoint.health.validate-group-membership=false");
        baseUrl = "http://localhost:" + context.getEnvironment().getProperty("local.server.port");
    }

    String baseUrl() {
        return baseUrl;
    }

    @Override
    public void close() {
        context.close();
    }
}
