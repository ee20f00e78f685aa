from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "onetrip.orders"
    label = "orders"
    verbose_name = "督办与代表监督"
