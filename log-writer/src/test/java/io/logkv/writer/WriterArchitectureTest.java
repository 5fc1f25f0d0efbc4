package io.logkv.writer;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The write path depends on the core and on nothing of the other roles: it reads replica state through
 * the {@link StateLookup} port, which the node implements over the materializer.
 */
@AnalyzeClasses(packages = "io.logkv", importOptions = ImportOption.DoNotIncludeTests.class)
class WriterArchitectureTest {

    @ArchTest
    static final ArchRule theWriterReachesReplicasOnlyThroughItsPort = noClasses()
            .that().resideInAPackage("io.logkv.writer..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "io.logkv.materializer..", "io.logkv.query..", "io.logkv.compactor..", "io.logkv.mirror..")
            .because("log-writer and materializer never import each other (StateLookup is the port between them)");

    @ArchTest
    static final ArchRule theCoreDependsOnNoRole = noClasses()
            .that().resideInAPackage("io.logkv.core..")
            .should().dependOnClassesThat().resideInAnyPackage("io.logkv.writer..", "io.logkv.materializer..");

    @ArchTest
    static final ArchRule packagesHaveNoCycles = slices().matching("io.logkv.(**)").should().beFreeOfCycles();
}
