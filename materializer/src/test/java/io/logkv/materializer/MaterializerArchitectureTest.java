package io.logkv.materializer;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Replicas depend on the core and on nothing of the other roles; in particular not on the write path, whose
 * {@code StateLookup} port the node implements over them. (Tests may use the writer to fill a log.)
 */
@AnalyzeClasses(packages = "io.logkv", importOptions = ImportOption.DoNotIncludeTests.class)
class MaterializerArchitectureTest {

    @ArchTest
    static final ArchRule replicasDoNotDependOnTheWritePath = noClasses()
            .that().resideInAPackage("io.logkv.materializer..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "io.logkv.writer..", "io.logkv.query..", "io.logkv.compactor..", "io.logkv.mirror..")
            .because("log-writer and materializer never import each other");

    @ArchTest
    static final ArchRule packagesHaveNoCycles = slices().matching("io.logkv.(**)").should().beFreeOfCycles();
}
