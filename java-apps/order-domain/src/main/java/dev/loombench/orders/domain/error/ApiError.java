package dev.loombench.orders.domain.error;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import dev.loombench.orders.domain.order.OrderIds;

/** The error body of every variant; {@code field} is left out of the JSON when it does not apply. */
@JsonPropertyOrder({"status", "error", "message", "field"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(int status, String error, String message, String field) {

    public static final int BAD_REQUEST = 400;

    public static final int NOT_FOUND = 404;

    public static final int BAD_GATEWAY = 502;

    public static final int SERVICE_UNAVAILABLE = 503;

    public static ApiError orderNotFound(long orderId) {
        return new ApiError(NOT_FOUND, "not_found", "order " + orderId + " not found", null);
    }

    public static ApiError badRequest(String message, String field) {
        return new ApiError(BAD_REQUEST, "bad_request", message, field);
    }

    public static ApiError invalidOrderId() {
        return badRequest(OrderIds.INVALID_MESSAGE, OrderIds.FIELD);
    }

    public static ApiError downstreamFailed(DownstreamService service) {
        return new ApiError(BAD_GATEWAY, "downstream_failed", service.serviceName() + " service failed", null);
    }

    /**
     * The database could not be reached or no pooled connection was free within the acquire timeout. The
     * message names no driver, pool or cause, so JDBC and R2DBC variants answer byte for byte the same.
     */
    public static ApiError databaseUnavailable() {
        return new ApiError(SERVICE_UNAVAILABLE, "database_unavailable", "database unavailable", null);
    }
}
