package io.logkv.query;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** A LogKV node: the HTTP API, the log writer and the materializer in one process. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class LogKvApplication {

    public static void main(String[] args) {
        SpringApplication.run(LogKvApplication.class, args);
    }
}
