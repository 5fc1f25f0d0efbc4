package io.logkv.query.security;

import org.springframework.security.config.annotation.web.builders.HttpSecurity;

/**
 * Filters another part of the node puts into the API's security chain (admission: load shedding before
 * everything, quotas once the caller is known). The chain knows only this port, so what it admits can depend on
 * who the caller is without the security chain depending on it.
 */
@FunctionalInterface
public interface ChainFilters {

    /** Adds the filters to the chain, each at its place. */
    void install(HttpSecurity http);
}
