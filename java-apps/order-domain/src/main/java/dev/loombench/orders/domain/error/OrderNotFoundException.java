package dev.loombench.orders.domain.error;

/** No order row for the id; every variant maps it to {@link ApiError#orderNotFound}. */
public class OrderNotFoundException extends RuntimeException {

    private final long orderId;

    public OrderNotFoundException(long orderId) {
        super("order " + orderId + " not found");
        this.orderId = orderId;
    }

    public long orderId() {
        return this.orderId;
    }

    public ApiError toApiError() {
        return ApiError.orderNotFound(this.orderId);
    }
}
