package dev.loombench.orders.domain.error;

/** A downstream call failed or timed out; every variant maps it to {@link ApiError#downstreamFailed}. */
public class DownstreamFailedException extends RuntimeException {

    private final DownstreamService service;

    public DownstreamFailedException(DownstreamService service, Throwable cause) {
        super(service.serviceName() + " service failed", cause);
        this.service = service;
    }

    public DownstreamService service() {
        return this.service;
    }

    public ApiError toApiError() {
        return ApiError.downstreamFailed(this.service);
    }
}
