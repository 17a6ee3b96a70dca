package dev.loombench.orders.domain.error;

/** The downstream services an order request depends on, named as they appear in 502 messages. */
public enum DownstreamService {

    CUSTOMER("customer"), INVENTORY("inventory");

    private final String serviceName;

    DownstreamService(String serviceName) {
        this.serviceName = serviceName;
    }

    public String serviceName() {
        return this.serviceName;
    }
}
