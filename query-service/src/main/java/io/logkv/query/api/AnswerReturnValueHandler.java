package io.logkv.query.api;

import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.springframework.core.MethodParameter;
import org.springframework.http.ResponseEntity;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodReturnValueHandler;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.mvc.method.annotation.DeferredResultMethodReturnValueHandler;

/**
 * Writes an {@link Answer}: a completed one at once, through the handler that writes {@code ResponseEntity}
 * return values (or, if it failed, by throwing its error to the problem handler); a pending one as any
 * {@code CompletableFuture} return value, asynchronously.
 */
final class AnswerReturnValueHandler implements HandlerMethodReturnValueHandler {

    /** The return type a completed answer is written as. */
    static final MethodParameter ENTITY_TYPE;

    static {
        try {
            Method shape = AnswerReturnValueHandler.class.getDeclaredMethod("shape");
            ENTITY_TYPE = new MethodParameter(shape, -1);
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final HandlerMethodReturnValueHandler entities;
    private final DeferredResultMethodReturnValueHandler futures = new DeferredResultMethodReturnValueHandler();

    /** @param entities the handler that writes {@code ResponseEntity} return values */
    AnswerReturnValueHandler(HandlerMethodReturnValueHandler entities) {
        this.entities = entities;
    }

    @SuppressWarnings("unused")
    private static ResponseEntity<byte[]> shape() {
        return null;
    }

    @Override
    public boolean supportsReturnType(MethodParameter returnType) {
        return Answer.class.isAssignableFrom(returnType.getParameterType());
    }

    @Override
    public void handleReturnValue(Object returnValue, MethodParameter returnType, ModelAndViewContainer mavContainer,
                                  NativeWebRequest webRequest) throws Exception {
        CompletableFuture<?> future = ((Answer<?>) returnValue).future();
        if (!future.isDone()) {
            futures.handleReturnValue(future, returnType, mavContainer, webRequest);
            return;
        }
        Object value;
        try {
            value = future.get();
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof Exception exception) {
                throw exception;
            }
            throw (Error) cause;
        }
        entities.handleReturnValue(value, ENTITY_TYPE, mavContainer, webRequest);
    }
}
