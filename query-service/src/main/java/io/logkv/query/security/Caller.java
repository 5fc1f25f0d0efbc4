package io.logkv.query.security;

import io.logkv.core.ApiHeaders;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Who a request is for and what they may do: the principal a client authenticated as, carried unchanged
 * when a node forwards the request, so that the node that serves it authorizes the client, not the node
 * ({@value ApiHeaders#CALLER}, covered by the forwarding node's MAC).
 *
 * @param name   the principal: an API key's name, a JWT's subject, a node's id
 * @param grants its rights
 */
public record Caller(String name, Grants grants) {


    /** The caller of the request being handled on this thread; null on an open node (anyone may do anything). */
    public static Caller current() {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        return authentication instanceof CallerAuthentication caller ? caller.caller() : null;
    }

    /** The form of {@value ApiHeaders#CALLER}. */
    public String header() {
        return URLEncoder.encode(name, StandardCharsets.UTF_8) + " " + grants.text();
    }

    /**
     * A caller from its {@value ApiHeaders#CALLER} form.
     *
     * @throws IllegalArgumentException when the text is not one
     */
    public static Caller ofHeader(String header) {
        String text = header.strip();
        int space = text.indexOf(' ');
        String name = URLDecoder.decode(space < 0 ? text : text.substring(0, space), StandardCharsets.UTF_8);
        if (name.isEmpty()) {
            throw new IllegalArgumentException(ApiHeaders.CALLER + " names no caller");
        }
        return new Caller(name, Grants.parse(space < 0 ? "" : text.substring(space + 1)));
    }

    /**
     * A client's name for the bounds and rates of each client: its principal, or on an open node the address it
     * calls from.
     */
    public static String clientOf(HttpServletRequest request) {
        Caller caller = current();
        return caller != null ? caller.name() : request.getRemoteAddr();
    }
}
