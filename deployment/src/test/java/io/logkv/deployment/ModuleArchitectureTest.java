package io.logkv.deployment;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import io.logkv.writer.ReversedModuleArrow;
import org.junit.jupiter.api.Test;

/**
 * The arrows between the modules, read from their main classes by package: the roles depend on the core, never
 * on each other's insides, and nothing shipped depends on the node, the launcher, the benchmark or the test kit.
 * Each line says what the module's pom allows it; a layer that finds no classes fails the rule, so a module
 * missing from this module's test classpath cannot pass unseen.
 */
@AnalyzeClasses(packages = "io.logkv", importOptions = ImportOption.DoNotIncludeTests.class)
class ModuleArchitectureTest {

    @ArchTest
    static final ArchRule modulesDependOnlyWhereTheirPomsSay = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("core").definedBy("io.logkv.core..")
            .layer("client").definedBy("io.logkv.client..")
            .layer("test-kit").definedBy("io.logkv.testkit..")
            .layer("log-writer").definedBy("io.logkv.writer..")
            .layer("materializer").definedBy("io.logkv.materializer..")
            .layer("compactor").definedBy("io.logkv.compactor..")
            .layer("mirror").definedBy("io.logkv.mirror..")
            .layer("query-service").definedBy("io.logkv.query..")
            .layer("local-cluster").definedBy("io.logkv.local..")
            .layer("benchmark").definedBy("io.logkv.benchmark..")
            .layer("examples").definedBy("io.logkv.examples..")

            .whereLayer("core").mayNotAccessAnyLayer()
            .whereLayer("client").mayOnlyAccessLayers("core")
            // Test doubles and a Kafka in a JVM: only tests use them, and the benchmark, which starts its own Kafka.
            .whereLayer("test-kit").mayOnlyBeAccessedByLayers("benchmark")
            .whereLayer("test-kit").mayNotAccessAnyLayer()
            .whereLayer("log-writer").mayOnlyAccessLayers("core")
            // The materializer's pom has log-writer for its tests only: replicas never see the write path.
            .whereLayer("materializer").mayOnlyAccessLayers("core")
            .whereLayer("compactor").mayOnlyAccessLayers("core", "log-writer", "materializer")
            .whereLayer("mirror").mayOnlyAccessLayers("core", "log-writer")
            .whereLayer("query-service").mayOnlyAccessLayers("core", "log-writer", "materializer", "compactor")
            .whereLayer("query-service").mayOnlyBeAccessedByLayers("local-cluster", "benchmark")
            .whereLayer("local-cluster").mayOnlyAccessLayers("core", "client", "mirror", "query-service")
            .whereLayer("local-cluster").mayNotBeAccessedByAnyLayer()
            // Compactor comes through query-service: the benchmark measures the node's parts, and the node holds it.
            .whereLayer("benchmark").mayOnlyAccessLayers("core", "client", "test-kit", "log-writer", "materializer",
                    "compactor", "mirror", "query-service")
            .whereLayer("benchmark").mayNotBeAccessedByAnyLayer()
            .whereLayer("examples").mayOnlyAccessLayers("core", "client")
            .whereLayer("examples").mayNotBeAccessedByAnyLayer()
            .because("roles depend on the core, never on each other's insides (docs/architecture.md)");

    /** The rule is not vacuous: the product's classes plus one log-writer class that reaches into the node break it. */
    @Test
    void aReversedArrowBetweenModulesBreaksTheRule() {
        String fixture = ReversedModuleArrow.class.getSimpleName();
        JavaClasses withReversed = new ClassFileImporter()
                .withImportOption(location -> !location.contains("/test-classes/") || location.contains(fixture))
                .importPackages("io.logkv");
        assertThatThrownBy(() -> modulesDependOnlyWhereTheirPomsSay.check(withReversed))
                .isInstanceOf(AssertionError.class).hasMessageContaining(ReversedModuleArrow.class.getName());
    }
}
