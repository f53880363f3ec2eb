/* SPDX-License-Identifier: GPL-2.0 */
/* The device's entry points for main.c (C only): one per ioctl, and uring_cmd. */
#ifndef DYNASYNC_DEV_H
#define DYNASYNC_DEV_H

struct file;
struct io_uring_cmd;
struct dynasync_create;
struct dynasync_destroy;
struct dynasync_call;
struct dynasync_cancel;
struct dynasync_stats;
struct dynasync_layout;
struct dynasync_fault_policy;
struct dynasync_fault_state;

int ds_file_open(struct file *file);
void ds_file_release(struct file *file);
long ds_ioctl_create(struct file *file, struct dynasync_create __user *uarg);
long ds_ioctl_destroy(struct file *file, struct dynasync_destroy __user *uarg);
long ds_ioctl_call(struct file *file, struct dynasync_call __user *uarg);
long ds_ioctl_cancel(struct file *file, struct dynasync_cancel __user *uarg);
long ds_ioctl_stats(struct file *file, struct dynasync_stats __user *uarg);
long ds_ioctl_layout(struct file *file, struct dynasync_layout __user *uarg);
long ds_ioctl_fault_set(struct file *file, struct dynasync_fault_policy __user *uarg);
long ds_ioctl_fault_get(struct file *file, struct dynasync_fault_state __user *uarg);
int ds_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

#endif
