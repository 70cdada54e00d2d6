"""Every SQL statement runner makes lives in this package."""

from runner.repositories.cleanup import CleanupRepository
from runner.repositories.jobs import JobRepository
from runner.repositories.scheduler import SchedulerRepository
from runner.repositories.worker import WorkerRepository

__all__ = [
    "CleanupRepository",
    "JobRepository",
    "SchedulerRepository",
    "WorkerRepository",
]
