from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "minzheng.foundation.crypto"
    label = "crypto"
    verbose_name = "加密"
