"""Public-holiday calendars shipped as data (``cn.yaml``): read by ``domain.working_days``."""
