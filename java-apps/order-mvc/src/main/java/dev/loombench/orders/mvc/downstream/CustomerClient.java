package dev.loombench.orders.mvc.downstream;

import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

import dev.loombench.orders.domain.customer.Customer;
import dev.loombench.orders.domain.error.DownstreamFailedException;
import dev.loombench.orders.domain.error.DownstreamService;

@Component
public class CustomerClient {

    private final RestClient downstream;

    private final long delayMs;

    CustomerClient(RestClient downstreamRestClient, DownstreamProperties properties) {
        this.downstream = downstreamRestClient;
        this.delayMs = properties.delayMs();
    }

    /** {@code ORDERS_DOWNSTREAM_DELAY_MS} as this client asks for it, for {@code runtime.workload}. */
    public long delayMs() {
        return this.delayMs;
    }

    /** Blocks the calling thread (cheap when it is virtual) until the customer service answers. */
    public Customer fetch(long customerId) {
        try {
            Customer customer = this.downstream.get()
                .uri("/customers/{id}?delayMs={delayMs}", customerId, this.delayMs)
                .retrieve()
                .body(Customer.class);
            if (customer == null) {
                throw new DownstreamFailedException(DownstreamService.CUSTOMER, null);
            }
            return customer;
        }
        catch (RestClientException ex) {
            throw new DownstreamFailedException(DownstreamService.CUSTOMER, ex);
        }
    }
}
