package dev.loombench.orders.mvc;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class OrderMvcApplication {

    public static void main(String[] args) {
        SpringApplication.run(OrderMvcApplication.class, args);
    }
}
