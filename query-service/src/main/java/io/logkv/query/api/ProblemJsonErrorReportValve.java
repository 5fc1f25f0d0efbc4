package io.logkv.query.api;

import io.logkv.core.ProblemTypes;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.tomcat.util.res.StringManager;

/**
 * Tomcat's error report for requests it refuses before any application code runs (a request line that
 * does not decode, for example), written as RFC 9457 {@code application/problem+json} instead of an
 * HTML page, so every error LogKV answers has the same shape.
 */
public class ProblemJsonErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        String title = StringManager.getManager("org.apache.catalina.valves").getString("http." + status + ".reason");
        if (title == null || title.startsWith("Cannot find message")) {
            title = "Error";
        }
        String type = status == 404 ? ProblemTypes.NOT_FOUND : status < 500 ? ProblemTypes.BAD_REQUEST : ProblemTypes.INTERNAL;
        String json = "{\"type\":\"" + ProblemTypes.uri(type) + "\",\"title\":\"" + escape(title) + "\",\"status\":" + status
                + ",\"detail\":\"the server refused the request before reading it: " + escape(title.toLowerCase()) + "\"}";
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(json);
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response was committed meanwhile; nothing more to say
        }
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
