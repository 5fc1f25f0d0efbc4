package io.logkv.query.admission;

import io.github.bucket4j.TimeMeter;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.security.ChainFilters;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import tools.jackson.databind.ObjectMapper;

/**
 * What a node admits (ADR 0016): rates per client and per namespace ({@code logkv.quotas}) and a bound on the
 * requests it works on at once ({@code logkv.shedding}). Both checks are filters of the security chain, which
 * every API request passes, key requests included (ADR 0014); they are not beans, so that the servlet container
 * does not run them a second time on its own.
 */
@Configuration(proxyBeanMethods = false)
public class AdmissionConfiguration {

    @Bean
    QuotaBuckets quotaBuckets(LogKvProperties props) {
        return new QuotaBuckets(props.quotas(), TimeMeter.SYSTEM_NANOTIME);
    }

    @Bean
    Refusals refusals(MeterRegistry meters) {
        return new Refusals(meters);
    }

    @Bean
    AnswerMemory answerMemory(LogKvProperties props, Refusals refusals, MeterRegistry meters) {
        return new AnswerMemory(props.shedding().maxAnswerBytesInFlight().toBytes(), refusals, meters);
    }

    /**
     * The checks, for the security chain: shedding first (a request the node has no room for costs it as little as
     * possible), quotas last (once the caller is known and allowed).
     */
    @Bean
    ChainFilters admissionFilters(LogKvProperties props, QuotaBuckets quotas, Refusals refusals, ObjectMapper json,
                                  MeterRegistry meters) {
        return http -> {
            http.addFilterBefore(new LoadShedding(props.shedding(), refusals, json, meters), SecurityContextHolderFilter.class);
            http.addFilterAfter(new QuotaGate(quotas, refusals, json), AuthorizationFilter.class);
        };
    }
}
