package io.logkv.query;

import io.logkv.core.ProblemTypes;
import io.logkv.query.api.KeyEndpoint;
import io.logkv.testkit.KafkaTestCluster;
import java.io.IOException;
import java.lang.reflect.Parameter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document API.md asks for is served by a running node, is YAML, and matches the code: it
 * lists exactly the operations the controllers map and the key endpoint serves (with their query
 * parameters and headers),
 * and names every problem type the code can answer.
 */
@Tag("integration")
class OpenApiDocumentIT {

    private static final String API_PACKAGE = "io.logkv.query.api";
    private static final Set<String> YAML_MEDIA_TYPES = Set.of("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml");
    /** Types known when this test was written; the scan of the code must find at least these. */
    private static final Set<String> KNOWN_PROBLEM_TYPES = Set.of(
            "bad-key", "bad-token", "bad-condition", "bad-idempotency-key", "bad-content-type", "bad-ttl",
            "bad-consistency", "bad-wait", "bad-namespace", "bad-namespace-settings", "bad-request",
            "key-not-found", "namespace-not-found", "not-found", "namespace-conflict", "precondition-failed",
            "value-too-large", "key-too-long", "not-caught-up", "replica-unavailable", "overloaded", "write-failed",
            "write-outcome-unknown", "log-unavailable", "no-owner", "owner-unreachable", "unsafe-namespace", "internal",
            "bad-batch", "too-many-keys", "bad-position", "partition-not-found", "partition-owned-here", "position-passed",
            "over-quota");

    @TempDir
    static Path dataDir;
    static LogKvNode node;
    static HttpResponse<String> served;
    static Map<String, Object> document;

    @BeforeAll
    static void startNodeAndFetchDocument() {
        node = LogKvNode.start("openapi", KafkaTestCluster.shared().bootstrapServers(), dataDir);
        served = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/openapi.yaml"))).GET());
        if (served.statusCode() == 200) {
            document = new Yaml(new SafeConstructor(new LoaderOptions())).load(served.body());
        }
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void isServedAsAnOpenApi31YamlDocument() {
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
        String contentType = served.headers().firstValue("Content-Type").orElse("");
        String mediaType = contentType.split(";")[0].strip().toLowerCase(Locale.ROOT);
        // Neither Spring nor Spring Boot maps the .yaml extension, so the node may serve it as
        // application/octet-stream; then the text itself must be YAML.
        if (!YAML_MEDIA_TYPES.contains(mediaType)) {
            assertThat(served.body()).as("Content-Type " + contentType + ", so the body must be YAML text")
                    .startsWith("openapi: 3.1.");
        }
        assertThat(document).as("the document parses as a YAML mapping").isNotNull();
        assertThat(String.valueOf(document.get("openapi"))).startsWith("3.1.");
        assertThat(map(document, "info")).containsKeys("title", "version");
    }

    @Test
    void listsExactlyTheOperationsTheNodeServes() {
        Set<String> mapped = new TreeSet<>();
        controllerHandlers().forEach((info, handler) -> {
            for (String path : info.getPatternValues()) {
                for (RequestMethod method : info.getMethodsCondition().getMethods()) {
                    mapped.add(method.name() + " " + path);
                }
            }
        });
        mapped.addAll(KeyEndpoint.OPERATIONS.keySet());
        assertThat(mapped).contains(
                "PUT /v1/namespaces/{ns}/keys/{key}", "GET /v1/namespaces/{ns}/keys/{key}", "DELETE /v1/namespaces/{ns}/keys/{key}",
                "PUT /v1/namespaces/{ns}", "GET /v1/namespaces/{ns}", "DELETE /v1/namespaces/{ns}", "GET /v1/namespaces",
                "POST /v1/namespaces/{ns}/batch-get", "GET /v1/namespaces/{ns}/watch", "GET /v1/namespaces/{ns}/keys");

        Set<String> documented = new TreeSet<>();
        map(document, "paths").forEach((path, item) -> map(item).keySet().stream()
                .filter(field -> Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace").contains(field))
                .forEach(method -> documented.add(method.toUpperCase(Locale.ROOT) + " " + path)));

        assertThat(documented).as("operations in the document").isEqualTo(mapped);
        assertThat(String.valueOf(map(document, "info").get("description"))).doesNotContain("x-logkv-planned");
    }

    @Test
    void documentsEveryQueryParameterAndAnnotatedHeaderOfEachOperation() {
        controllerHandlers().forEach((info, handler) -> {
            for (String path : info.getPatternValues()) {
                for (RequestMethod method : info.getMethodsCondition().getMethods()) {
                    Set<String> documented = documentedParameters(path, method.name().toLowerCase(Locale.ROOT));
                    for (Parameter parameter : handler.getMethod().getParameters()) {
                        RequestParam query = parameter.getAnnotation(RequestParam.class);
                        if (query != null) {
                            String name = !query.name().isEmpty() ? query.name() : !query.value().isEmpty() ? query.value() : parameter.getName();
                            assertThat(documented).as(method + " " + path).contains("query " + name);
                        }
                        RequestHeader header = parameter.getAnnotation(RequestHeader.class);
                        if (header != null) {
                            String name = !header.name().isEmpty() ? header.name() : header.value();
                            assertThat(documented).as(method + " " + path).contains("header " + name.toLowerCase(Locale.ROOT));
                        }
                    }
                }
            }
        });
        KeyEndpoint.OPERATIONS.forEach((operation, parameters) -> {
            String[] methodAndPath = operation.split(" ", 2);
            assertThat(documentedParameters(methodAndPath[1], methodAndPath[0].toLowerCase(Locale.ROOT)))
                    .as(operation).containsAll(parameters);
        });
        assertThat(documentedParameters("/v1/namespaces/{ns}/keys/{key}", "put"))
                .contains("path ns", "path key", "query ttl", "header kv-token", "header if-match", "header if-none-match", "header idempotency-key");
        assertThat(documentedParameters("/v1/namespaces/{ns}/keys/{key}", "get"))
                .contains("query consistency", "query wait_ms", "header kv-token", "header if-none-match");
    }

    @Test
    void namesEveryProblemTypeTheCodeUses() throws IOException {
        Set<String> types = problemTypesInCode();
        assertThat(types).containsAll(KNOWN_PROBLEM_TYPES);
        for (String type : types) {
            assertThat(served.body()).as("problem type " + type).contains("/problems/" + type);
        }
        Map<String, Object> problem = map(map(map(document, "components"), "schemas"), "Problem");
        assertThat(map(problem, "properties")).containsKeys("type", "title", "status", "detail", "instance");
    }

    // --- the controllers -------------------------------------------------------------------------------

    /** The handler methods LogKV's own controllers map, from the running node's handler mappings. */
    private static Map<RequestMappingInfo, HandlerMethod> controllerHandlers() {
        Map<RequestMappingInfo, HandlerMethod> handlers = new java.util.LinkedHashMap<>();
        node.bean(DispatcherServlet.class).getWebApplicationContext()
                .getBeansOfType(RequestMappingHandlerMapping.class).values()
                .forEach(mapping -> mapping.getHandlerMethods().forEach((info, handler) -> {
                    if (handler.getBeanType().getPackageName().equals(API_PACKAGE)) {
                        handlers.put(info, handler);
                    }
                }));
        return handlers;
    }

    /**
     * Every problem type the main code can answer: the type argument of {@code ApiProblem.badRequest},
     * {@code ApiProblem.unavailable}, {@code new ApiProblem} and {@code ApiProblem.typeUri}, the {@code type}
     * of code that writes {@code "/problems/" + type} itself, and any literal {@code "/problems/..."}.
     */
    private static Set<String> problemTypesInCode() throws IOException {
        Path sources = Path.of(System.getProperty("basedir", ".")).resolve("src/main/java");
        Set<String> types = new TreeSet<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = Files.readString(file);
                for (String call : List.of("badRequest(", "unavailable(", "typeUri(")) {
                    argumentsOf(code, call, 0).forEach(argument -> types.addAll(typeLiterals(argument)));
                }
                argumentsOf(code, "new ApiProblem(", 1).forEach(argument -> types.addAll(typeLiterals(argument)));
                if (code.contains("\"/problems/\"")) {
                    Matcher assignment = Pattern.compile("String type\\s*=([^;]*);").matcher(code);
                    while (assignment.find()) {
                        types.addAll(typeLiterals(assignment.group(1)));
                    }
                }
                Matcher literal = Pattern.compile("\"/problems/([a-z]+(?:-[a-z]+)*)\"").matcher(code);
                while (literal.find()) {
                    types.add(literal.group(1));
                }
                Matcher named = Pattern.compile("ProblemTypes\\.([A-Z_]+)\\b").matcher(code);
                while (named.find()) {
                    if (!named.group(1).equals("URI_PREFIX")) {
                        types.add(problemType(named.group(1)));
                    }
                }
            }
        }
        assertThat(types).as("problem types found under " + sources.toAbsolutePath()).isNotEmpty();
        return types;
    }

    /** The value of one of core's {@link ProblemTypes} constants. */
    private static String problemType(String constant) {
        try {
            return (String) ProblemTypes.class.getField(constant).get(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("ProblemTypes has no " + constant, e);
        }
    }

    /** The {@code index}-th argument's text of every call that starts with {@code call} (which ends in "("). */
    private static List<String> argumentsOf(String code, String call, int index) {
        List<String> arguments = new ArrayList<>();
        for (int at = code.indexOf(call); at >= 0; at = code.indexOf(call, at + 1)) {
            int depth = 0;
            int argument = 0;
            boolean inString = false;
            StringBuilder text = new StringBuilder();
            for (int i = at + call.length(); i < code.length(); i++) {
                char c = code.charAt(i);
                if (inString) {
                    if (c == '\\') {
                        char escaped = code.charAt(++i);
                        if (argument == index) {
                            text.append(c).append(escaped);
                        }
                        continue;
                    }
                    inString = c != '"';
                } else if (c == '"') {
                    inString = true;
                } else if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                    depth--;
                } else if (depth == 0 && (c == ',' || c == ')')) {
                    if (argument == index) {
                        arguments.add(text.toString());
                        break;
                    }
                    if (c == ')') {
                        break;
                    }
                    argument++;
                    continue;
                }
                if (argument == index) {
                    text.append(c);
                }
            }
        }
        return arguments;
    }

    private static List<String> typeLiterals(String expression) {
        List<String> literals = new ArrayList<>();
        Matcher m = Pattern.compile("\"([a-z]+(?:-[a-z]+)*)\"").matcher(expression);
        while (m.find()) {
            literals.add(m.group(1));
        }
        return literals;
    }

    // --- the document ----------------------------------------------------------------------------------

    /** "in name" of every parameter of an operation, path-level ones included, {@code $ref}s resolved; header names lower-case. */
    private static Set<String> documentedParameters(String path, String method) {
        Map<String, Object> item = map(map(document, "paths"), path);
        List<Object> parameters = new ArrayList<>(list(item.get("parameters")));
        parameters.addAll(list(map(item, method).get("parameters")));
        Set<String> names = new TreeSet<>();
        for (Object entry : parameters) {
            Map<String, Object> parameter = resolve(map(entry));
            String in = String.valueOf(parameter.get("in"));
            String name = String.valueOf(parameter.get("name"));
            names.add(in + " " + (in.equals("header") ? name.toLowerCase(Locale.ROOT) : name));
        }
        return names;
    }

    private static Map<String, Object> resolve(Map<String, Object> node) {
        Object ref = node.get("$ref");
        if (ref == null) {
            return node;
        }
        assertThat(ref.toString()).startsWith("#/");
        Map<String, Object> target = document;
        for (String part : ref.toString().substring(2).split("/")) {
            target = map(target, part);
        }
        return resolve(target);
    }

    private static Map<String, Object> map(Map<String, Object> parent, String field) {
        assertThat(parent).as("document has '" + field + "'").containsKey(field);
        return map(parent.get(field));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return value == null ? List.of() : (List<Object>) value;
    }
}
