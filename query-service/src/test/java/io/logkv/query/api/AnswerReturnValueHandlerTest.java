package io.logkv.query.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.MethodParameter;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.async.StandardServletAsyncWebRequest;
import org.springframework.web.context.request.async.WebAsyncUtils;
import org.springframework.web.method.support.HandlerMethodReturnValueHandler;
import org.springframework.web.method.support.ModelAndViewContainer;

class AnswerReturnValueHandlerTest {

    private final List<Object> written = new ArrayList<>();
    private final AnswerReturnValueHandler handler = new AnswerReturnValueHandler(new HandlerMethodReturnValueHandler() {
        @Override
        public boolean supportsReturnType(MethodParameter returnType) {
            return true;
        }

        @Override
        public void handleReturnValue(Object returnValue, MethodParameter returnType, ModelAndViewContainer mav, NativeWebRequest request) {
            written.add(returnValue);
        }
    });
    private MockHttpServletRequest request;
    private ServletWebRequest webRequest;

    @BeforeEach
    void setUp() {
        request = new MockHttpServletRequest("GET", "/v1/namespaces/ns/keys/k");
        request.setAsyncSupported(true);
        MockHttpServletResponse response = new MockHttpServletResponse();
        webRequest = new ServletWebRequest(request, response);
        WebAsyncUtils.getAsyncManager(webRequest).setAsyncWebRequest(new StandardServletAsyncWebRequest(request, response));
    }

    @Test
    void aCompletedAnswerIsWrittenOnTheRequestThreadWithoutGoingAsync() throws Exception {
        ResponseEntity<byte[]> entity = ResponseEntity.ok(new byte[] {1});
        handler.handleReturnValue(Answer.of(CompletableFuture.completedFuture(entity)), null, new ModelAndViewContainer(), webRequest);
        assertThat(written).containsExactly(entity);
        assertThat(request.isAsyncStarted()).isFalse();
    }

    @Test
    void aFailedAnswerThrowsItsCauseForTheProblemHandler() {
        ApiProblem problem = ApiProblem.badRequest("bad-key", "no");
        assertThatThrownBy(() -> handler.handleReturnValue(Answer.of(CompletableFuture.failedFuture(problem)), null,
                new ModelAndViewContainer(), webRequest)).isSameAs(problem);
        assertThat(written).isEmpty();
    }

    @Test
    void aPendingAnswerTakesTheAsynchronousPath() throws Exception {
        handler.handleReturnValue(Answer.of(new CompletableFuture<ResponseEntity<byte[]>>()), null, new ModelAndViewContainer(), webRequest);
        assertThat(written).isEmpty();
        assertThat(request.isAsyncStarted()).isTrue();
    }
}
