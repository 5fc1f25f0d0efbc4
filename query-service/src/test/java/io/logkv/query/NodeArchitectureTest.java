package io.logkv.query;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.base.DescribedPredicate.or;
import static com.tngtech.archunit.core.domain.Dependency.Predicates.dependency;
import static com.tngtech.archunit.core.domain.Dependency.Predicates.dependencyTarget;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.conditions.ArchConditions.haveAnyDependenciesThat;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceRule;
import io.logkv.query.read.ReversedArrow;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.ControllerAdvice;

/**
 * The arrows between the node's packages, what Kafka's import-control file is to its clients. The fronts,
 * {@code api} (HTTP) and {@code resp} (Redis protocol), are on top and nothing depends on them; the paths
 * ({@code keys}, {@code read}, {@code write}, {@code peer}, {@code cluster}, {@code region}, {@code watch},
 * {@code admission}, {@code rebuild}, {@code security}) serve every front, over the values of a request
 * ({@code request}: {@code KeyRequest}; {@code path}: {@code KeyPath}); {@code problem} and {@code config} are the floor every layer stands on;
 * {@code node} assembles the rest and only the application names it.
 *
 * <p>ArchUnit reads bytecode: a compile-time constant is copied into the class that uses it, and an import only
 * Javadoc uses leaves no trace, so neither counts as an arrow here. The node keeps neither pointing at a front
 * (the forwarded reads' path and size live in their wire type, {@code read.ForwardedReadBatch}).
 */
@AnalyzeClasses(packages = "io.logkv.query", importOptions = ImportOption.DoNotIncludeTests.class)
class NodeArchitectureTest {

    /** The paths and the problems they throw. */
    private static final String[] BELOW_THE_FRONTS = {
            "io.logkv.query.keys..", "io.logkv.query.request..", "io.logkv.query.path..", "io.logkv.query.rebuild..",
            "io.logkv.query.security..", "io.logkv.query.read..", "io.logkv.query.write..", "io.logkv.query.peer..",
            "io.logkv.query.cluster..", "io.logkv.query.region..", "io.logkv.query.watch..",
            "io.logkv.query.admission..", "io.logkv.query.problem.."};

    /** Arrows into the node's assembly from outside it; none today. */
    private static final List<Arrow> NODE_REACHED_FROM_BELOW = List.of();

    /** Arrows that close package cycles; none today. */
    private static final List<Arrow> CYCLES_TODAY = List.of();

    @ArchTest
    static final ArchRule nothingDependsOnTheHttpFront = noClasses()
            .that().resideOutsideOfPackage("io.logkv.query.api..")
            .should().dependOnClassesThat().resideInAPackage("io.logkv.query.api..")
            .because("the HTTP front calls the paths; a path that knows a controller or KeyEndpoint cannot serve the Redis front");

    @ArchTest
    static final ArchRule nothingDependsOnTheRedisFront = noClasses()
            .that().resideOutsideOfPackage("io.logkv.query.resp..")
            .should().dependOnClassesThat().resideInAPackage("io.logkv.query.resp..")
            .because("the Redis-protocol front calls the paths, never the other way");

    @ArchTest
    static final ArchRule thePathsKnowNoFront = noClasses()
            .that().resideInAnyPackage(BELOW_THE_FRONTS)
            .should().dependOnClassesThat().resideInAnyPackage("io.logkv.query.api..", "io.logkv.query.resp..")
            .because("one key's operations, reads and writes are shared by every front");

    @ArchTest
    static final ArchRule problemsStandOnNothingOfTheNode = classes()
            .that().resideInAPackage("io.logkv.query.problem..")
            .should().onlyDependOnClassesThat(outsideTheNodeOr("io.logkv.query.problem.."))
            .because("every layer throws ApiProblem, so it can depend on none of them");

    @ArchTest
    static final ArchRule configurationStandsOnNothingOfTheNode = classes()
            .that().resideInAPackage("io.logkv.query.config..")
            .should().onlyDependOnClassesThat(outsideTheNodeOr("io.logkv.query.config.."))
            .because("LogKvProperties is read by every layer");

    @ArchTest
    static final ArchRule onlyTheApplicationReachesTheNodeAssembly = noClasses()
            .that().resideOutsideOfPackages("io.logkv.query", "io.logkv.query.node..")
            .should(haveAnyDependenciesThat(dependencyTarget(resideInAPackage("io.logkv.query.node.."))
                    .and(not(anyOf(NODE_REACHED_FROM_BELOW)))))
            .because("node wires the paths and fronts together; what they need from it is theirs, not the assembly's");

    @ArchTest
    static final ArchRule noServiceDependsOnAController = noClasses()
            .that(areNeitherControllersNorDeclaredInOne())
            .should().dependOnClassesThat().areMetaAnnotatedWith(Controller.class)
            .because("a controller is the edge of the HTTP front; what others need from it belongs in a path");

    @ArchTest
    static final ArchRule theNodePackagesHaveNoCycles = ignoring(CYCLES_TODAY,
            slices().matching("io.logkv.query.(*)..").should().beFreeOfCycles());

    /** A tolerated arrow that the code no longer has is a rule left weaker than it needs to be. */
    @ArchTest
    static void everyToleratedArrowStillExists(JavaClasses node) {
        for (Arrow arrow : union(NODE_REACHED_FROM_BELOW, CYCLES_TODAY)) {
            boolean present = node.stream()
                    .flatMap(c -> c.getDirectDependenciesFromSelf().stream())
                    .anyMatch(arrow.asDependency()::test);
            assertThat(present)
                    .as("%s is gone: remove it from the tolerated arrows of %s", arrow, NodeArchitectureTest.class.getSimpleName())
                    .isTrue();
        }
    }

    /** The rules are not vacuous: a class of the read path holding a controller breaks each rule about the fronts. */
    @Test
    void aReversedArrowBreaksTheRules() {
        JavaClasses reversed = new ClassFileImporter().importClasses(ReversedArrow.class);
        for (ArchRule rule : List.of(nothingDependsOnTheHttpFront, thePathsKnowNoFront, noServiceDependsOnAController)) {
            assertThatThrownBy(() -> rule.check(reversed)).as(rule.getDescription())
                    .isInstanceOf(AssertionError.class).hasMessageContaining(ReversedArrow.class.getName());
        }
    }

    /** A dependency from one class of the node (or a class nested in it) to another, named relative to io.logkv.query. */
    private record Arrow(String origin, String target) {

        DescribedPredicate<Dependency> asDependency() {
            return dependency(declaredIn(origin), declaredIn(target));
        }

        @Override
        public String toString() {
            return origin + " -> " + target;
        }
    }

    private static DescribedPredicate<JavaClass> declaredIn(String relativeName) {
        String name = "io.logkv.query." + relativeName;
        return DescribedPredicate.describe(name, c -> c.getName().equals(name) || c.getName().startsWith(name + "$"));
    }

    private static DescribedPredicate<Dependency> anyOf(List<Arrow> arrows) {
        return or(arrows.stream().map(Arrow::asDependency).toList()).as("one of " + arrows);
    }

    private static SliceRule ignoring(List<Arrow> arrows, SliceRule rule) {
        for (Arrow arrow : arrows) {
            rule = rule.ignoreDependency(declaredIn(arrow.origin()), declaredIn(arrow.target()));
        }
        return rule;
    }

    private static DescribedPredicate<JavaClass> outsideTheNodeOr(String packageIdentifier) {
        return resideOutsideOfPackage("io.logkv.query..").or(resideInAPackage(packageIdentifier))
                .as("reside outside of io.logkv.query or in " + packageIdentifier);
    }

    /** All but controllers, controller advice and the classes declared inside them (records, anonymous classes). */
    private static DescribedPredicate<JavaClass> areNeitherControllersNorDeclaredInOne() {
        return DescribedPredicate.describe("are neither controllers nor declared in one", c -> {
            for (JavaClass outer = c; outer != null; outer = outer.getEnclosingClass().orElse(null)) {
                if (outer.isMetaAnnotatedWith(Controller.class) || outer.isMetaAnnotatedWith(ControllerAdvice.class)) {
                    return false;
                }
            }
            return true;
        });
    }

    private static List<Arrow> union(List<Arrow> first, List<Arrow> second) {
        return Stream.concat(first.stream(), second.stream()).distinct().toList();
    }
}
