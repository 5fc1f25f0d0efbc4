package io.logkv.query.watch;

import io.logkv.core.ConsistencyToken;
import java.io.IOException;

/** Where a change stream's events go: a server-sent-events response. A failed send means the client is gone. */
public interface EventSink {

    /** Sends one event whose id is the stream's position after it ({@code position} may be null: no id). */
    void send(ConsistencyToken position, String event, Object data) throws IOException;

    /** Sends a comment line (keeps a quiet connection alive, and finds out whether the client is still there). */
    void comment(String text) throws IOException;

    /** Ends the stream. */
    void complete();
}
