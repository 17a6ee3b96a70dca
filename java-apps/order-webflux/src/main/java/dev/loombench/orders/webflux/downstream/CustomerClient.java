package dev.loombench.orders.webflux.downstream;

import reactor.core.publisher.Mono;

import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;

import dev.loombench.orders.domain.customer.Customer;
import dev.loombench.orders.domain.error.DownstreamService;

/** {@code GET /customers/{id}} of the downstream service. */
@Component
public class CustomerClient {

    private final WebClient downstream;

    private final long delayMs;

    CustomerClient(WebClient downstreamWebClient, DownstreamProperties properties) {
        this.downstream = downstreamWebClient;
        this.delayMs = properties.delayMs();
    }

    /** {@code ORDERS_DOWNSTREAM_DELAY_MS} as this client asks for it, for {@code runtime.workload}. */
    public long delayMs() {
        return this.delayMs;
    }

    /** Fails with {@code DownstreamFailedException(CUSTOMER)} on any error status, timeout or empty body. */
    public Mono<Customer> fetch(long customerId) {
        return DownstreamCalls.expect(DownstreamService.CUSTOMER,
                this.downstream.get()
                    .uri("/customers/{id}?delayMs={delayMs}", customerId, this.delayMs)
                    .retrieve()
                    .bodyToMono(Customer.class));
    }
}
