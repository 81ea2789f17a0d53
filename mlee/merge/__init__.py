"""Merge experiment folders (Contract 2) into compact result files (Contract 3): ``merge_results.py``."""

from mlee.merge.folder import ExperimentFolder, FolderError, read_folder, scan_folder
from mlee.merge.merger import STATE_FILE, MergeReport, merge_directory
from mlee.merge.records import infer_record, train_record

__all__ = ["merge_directory", "MergeReport", "STATE_FILE", "read_folder", "ExperimentFolder", "FolderError",
           "scan_folder", "train_record", "infer_record"]
