from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from programs.models import User
        from programs.user_cache import user_changed

        # Any save or delete of a person (services, admin, set_password + save) makes the
        # next request read their row afresh (programs.user_cache).
        post_save.connect(user_changed, sender=User, dispatch_uid="programs.user_cache.save")
        post_delete.connect(user_changed, sender=User, dispatch_uid="programs.user_cache.delete")
