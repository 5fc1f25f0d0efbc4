package io.logkv.query.resp;

import io.logkv.query.admission.AnswerMemory;
import io.netty.handler.codec.redis.RedisMessage;

/**
 * A reply whose values are counted in the node's answer memory until it has been written to its connection (or the
 * connection failed), or until it is known never to be (its command timed out): the connection gives its grant back
 * then.
 *
 * @param message the reply itself
 * @param grant   the bytes the reply was granted
 */
record HeldReply(RedisMessage message, AnswerMemory.Grant grant) implements RedisMessage {

    /** Gives the grant back (once; again does nothing). */
    void release() {
        grant.close();
    }
}
