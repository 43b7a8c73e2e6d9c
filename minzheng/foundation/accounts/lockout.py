from django.http import JsonResponse
from django.shortcuts import render


def lockout_response(request, credentials=None, *args, **kwargs):
    message = "登录失败次数过多，账号已锁定30分钟。如需立即解锁，请联系系统管理员。"
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "workbench/login.html", {"locked": message}, status=429)
