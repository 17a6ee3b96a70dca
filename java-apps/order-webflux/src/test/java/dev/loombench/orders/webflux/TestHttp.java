package dev.loombench.orders.webflux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A plain JDK client, outside Spring, so a test sees exactly the bytes and headers a load generator sees.
 * HTTP/1.1 only: the JDK's default would first try an h2c upgrade.
 */
public record TestHttp(int port) {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();

    public HttpResponse<byte[]> get(String path) {
        try {
            return CLIENT.send(request(path), HttpResponse.BodyHandlers.ofByteArray());
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    public CompletableFuture<HttpResponse<byte[]>> getAsync(String path) {
        return CLIENT.sendAsync(request(path), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build();
    }
}
