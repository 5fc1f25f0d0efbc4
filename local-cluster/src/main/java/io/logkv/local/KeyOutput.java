package io.logkv.local;

import io.logkv.client.http.KeyValue;
import java.io.PrintStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** How the key commands print a key: one JSON object a line with {@code --json}; values as text where they are text. */
final class KeyOutput {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private KeyOutput() {
    }

    static void printJson(PrintStream out, Object value) {
        out.println(JSON.writeValueAsString(value));
    }

    static Map<String, Object> describe(KeyValue value) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("key", value.key());
        fields.put("version", value.version());
        fields.put("contentType", value.contentType());
        fields.put("value", text(value.contentType()) ? value.text() : Base64.getEncoder().encodeToString(value.value()));
        if (value.expiresAt() != null) {
            fields.put("expiresAt", value.expiresAt().toString());
        }
        return fields;
    }

    /** Whether values of this content type print as text. */
    static boolean text(String contentType) {
        return contentType != null && (contentType.startsWith("text/") || contentType.contains("json"));
    }
}
