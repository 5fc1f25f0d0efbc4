package io.logkv.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** docker-compose.yml is valid for Compose itself, where Compose is installed (no engine needed). */
class ComposeConfigTest {

    @Test
    void composeValidatesTheFile() throws Exception {
        List<String> command = ExternalTools.compose();
        Assumptions.assumeTrue(command != null, "skipped: neither docker-compose nor the docker compose plugin is "
                + "installed (apt-get install docker-compose); the file was only checked by parsing it");
        List<String> arguments = new java.util.ArrayList<>(command);
        arguments.addAll(List.of("-f", RepositoryFiles.path(ComposeFile.FILE).toString(), "config", "--quiet"));
        ExternalTools.Result result = ExternalTools.run(arguments);
        assertThat(result.exitCode()).as(String.join(" ", arguments) + "\n" + result.output()).isZero();
    }
}
