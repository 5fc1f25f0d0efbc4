package io.logkv.query.watch;

import java.io.IOException;

/** Where a change stream's events go: a server-sent-events response. A failed send means the client is gone. */
public interface EventSink {

    /** Sends one event; {@code id} may be null. */
    void send(String id, String event, Object data) throws IOException;

    /** Sends a comment line (keeps a quiet connection alive, and finds out whether the client is still there). */
    void comment(String text) throws IOException;

    /** Ends the stream. */
    void complete();
}
