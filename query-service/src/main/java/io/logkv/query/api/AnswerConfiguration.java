package io.logkv.query.api;

import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.support.HandlerMethodReturnValueHandler;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;

/**
 * Puts {@link AnswerReturnValueHandler} first among Spring MVC's return value handlers, once every
 * singleton (the handler adapter among them) is initialized.
 */
@Configuration(proxyBeanMethods = false)
class AnswerConfiguration implements SmartInitializingSingleton {

    private final ObjectProvider<RequestMappingHandlerAdapter> adapters;

    AnswerConfiguration(ObjectProvider<RequestMappingHandlerAdapter> adapters) {
        this.adapters = adapters;
    }

    @Override
    public void afterSingletonsInstantiated() {
        RequestMappingHandlerAdapter adapter = adapters.getObject();
        List<HandlerMethodReturnValueHandler> handlers = new ArrayList<>(adapter.getReturnValueHandlers());
        HandlerMethodReturnValueHandler entities = handlers.stream()
                .filter(handler -> handler.supportsReturnType(AnswerReturnValueHandler.ENTITY_TYPE)).findFirst()
                .orElseThrow(() -> new IllegalStateException("Spring MVC has no ResponseEntity return value handler among "
                        + handlers.stream().map(h -> h.getClass().getName()).toList()));
        handlers.add(0, new AnswerReturnValueHandler(entities));
        adapter.setReturnValueHandlers(handlers);
    }
}
