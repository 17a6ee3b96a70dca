package dev.loombench.orders.domain.error;

/** A request the client must fix; every variant maps it to {@link ApiError#badRequest}. */
public class InvalidRequestException extends RuntimeException {

    private final String field;

    public InvalidRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return this.field;
    }

    public ApiError toApiError() {
        return ApiError.badRequest(getMessage(), this.field);
    }
}
